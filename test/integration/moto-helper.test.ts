import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithMoto, startMoto, type MotoServer } from '../helpers/moto.js';

describeWithMoto('moto_server test helper', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('listens on a loopback address only', () => {
    expect(new URL(moto.endpoint).hostname).toBe('127.0.0.1');
    expect(moto.port).toBeGreaterThan(0);
  });

  it('answers S3 over HTTP and forgets state on reset', async () => {
    const auth = { Authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' };
    const put = await fetch(`${moto.endpoint}/trailkit-helper-bucket`, { method: 'PUT', headers: auth });
    expect(put.status).toBe(200);
    let list = await (await fetch(`${moto.endpoint}/`, { headers: auth })).text();
    expect(list).toContain('<Name>trailkit-helper-bucket</Name>');
    await moto.reset();
    list = await (await fetch(`${moto.endpoint}/`, { headers: auth })).text();
    expect(list).not.toContain('trailkit-helper-bucket');
  });
});
