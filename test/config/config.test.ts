import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('listening on every interface without ROSTER_PUBLIC_URL is refused, naming the variable', () => {
    for (const host of ['0.0.0.0', '::']) {
      expect(() => loadConfig({ HOST: host })).toThrow(ConfigError);
      expect(() => loadConfig({ HOST: host })).toThrow(/ROSTER_PUBLIC_URL/);
    }
  });

  it('with ROSTER_PUBLIC_URL, links use it whatever the listening address', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      ROSTER_PUBLIC_URL: 'https://roster.example.com/',
    });
    expect(config.publicUrl).toBe('https://roster.example.com');
  });

  it('a loopback host makes links to itself', () => {
    expect(loadConfig({ HOST: '127.0.0.1', PORT: '3100' }).publicUrl).toBe('http://127.0.0.1:3100');
  });
});
