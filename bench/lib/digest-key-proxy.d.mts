// Types for bench/lib/digest-key-proxy.mjs.
export interface KeyProxy {
  readonly endpoint: string;
  close(): Promise<void>;
}
export interface PublicKeysJson {
  PublicKeyList: { Value: string; ValidityStartTime: string; ValidityEndTime: string; Fingerprint: string }[];
}
export interface ProxyOptions {
  /** Answer CloudTrail ListPublicKeys with these keys (moto lacks it). */
  publicKeys?: PublicKeysJson;
  /** Hold every request this long before handling it; 0 (the default) forwards at once. */
  delayMs?: number;
}
export declare function startProxy(target: string, options?: ProxyOptions): Promise<KeyProxy>;
export declare function startKeyProxy(target: string, publicKeys: PublicKeysJson): Promise<KeyProxy>;
