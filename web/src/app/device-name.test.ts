import { describe, expect, it } from 'vitest';
import { deviceNameOf } from './device-name';

const agents = {
  chromeLinux:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:131.0) Gecko/20100101 Firefox/131.0',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
  chromeIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/129.0.6668.69 Mobile/15E148 Safari/604.1',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36',
  firefoxAndroid: 'Mozilla/5.0 (Android 14; Mobile; rv:131.0) Gecko/131.0 Firefox/131.0',
};

describe('deviceNameOf', () => {
  it.each([
    [agents.chromeLinux, 'Chrome on Linux'],
    [agents.firefoxMac, 'Firefox on macOS'],
    [agents.safariIphone, 'Safari on iPhone'],
    [agents.chromeIphone, 'Chrome on iPhone'],
    [agents.safariMac, 'Safari on macOS'],
    [agents.edgeWindows, 'Edge on Windows'],
    [agents.chromeAndroid, 'Chrome on Android'],
    [agents.firefoxAndroid, 'Firefox on Android'],
    ['curl/8.0', 'Browser'],
  ])('names %s as %s', (agent, name) => {
    expect(deviceNameOf(agent)).toBe(name);
  });

  it('takes the brand and platform from userAgentData, which tell Chromium’s variants apart', () => {
    const brave = {
      brands: [{ brand: 'Not)A;Brand' }, { brand: 'Chromium' }, { brand: 'Brave' }],
      platform: 'Windows',
    };
    expect(deviceNameOf(agents.chromeLinux.replace('X11; Linux x86_64', 'Windows NT 10.0'), brave)).toBe(
      'Brave on Windows',
    );
    expect(deviceNameOf(agents.chromeLinux, { brands: [{ brand: 'Chromium' }], platform: 'Linux' })).toBe(
      'Chromium on Linux',
    );
    expect(
      deviceNameOf(agents.chromeLinux, {
        brands: [{ brand: 'Chromium' }, { brand: 'Google Chrome' }],
        platform: 'Chrome OS',
      }),
    ).toBe('Chrome on ChromeOS');
  });
});
