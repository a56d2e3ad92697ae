// Types for bench/lib/digest-key-proxy.mjs.
export interface KeyProxy {
  readonly endpoint: string;
  close(): Promise<void>;
}
export declare function startKeyProxy(target: string, publicKeys: { PublicKeyList: { Value: string; ValidityStartTime: string; ValidityEndTime: string; Fingerprint: string }[] }): Promise<KeyProxy>;
