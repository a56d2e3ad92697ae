// Types for bench/lib/digest-key-proxy.mjs.
export interface KeyProxy {
  readonly endpoint: string;
  /** Every ListPublicKeys call answered: the region it was signed for, and the range asked (epoch seconds). */
  readonly calls: { region: string | undefined; start: number | undefined; end: number | undefined }[];
  close(): Promise<void>;
}
export interface PublicKeysJson {
  PublicKeyList: { Value: string; ValidityStartTime: string; ValidityEndTime: string; Fingerprint: string }[];
}
export interface ProxyOptions {
  /**
   * Answer CloudTrail ListPublicKeys (moto lacks it): per region (`{ REGION: json }`, regions not
   * named have no keys), or one list for every region.
   */
  publicKeys?: PublicKeysJson | Record<string, PublicKeysJson>;
  /** Hold every request this long before handling it; 0 (the default) forwards at once. */
  delayMs?: number;
}
export declare function startProxy(target: string, options?: ProxyOptions): Promise<KeyProxy>;
export declare function startKeyProxy(target: string, publicKeys: PublicKeysJson | Record<string, PublicKeysJson>): Promise<KeyProxy>;
