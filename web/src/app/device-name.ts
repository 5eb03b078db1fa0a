/** What a browser tells of itself (`navigator.userAgentData`, where the browser has it). */
export interface UserAgentData {
  readonly brands?: readonly { readonly brand: string }[];
  readonly mobile?: boolean;
  readonly platform?: string;
}

/** Brands of `userAgentData` as people know them, the most specific first (every Chromium lists "Chromium"). */
const BRANDS: readonly (readonly [RegExp, string])[] = [
  [/Microsoft Edge/, 'Edge'],
  [/Opera/, 'Opera'],
  [/Brave/, 'Brave'],
  [/Vivaldi/, 'Vivaldi'],
  [/Samsung Internet/, 'Samsung Internet'],
  [/Google Chrome/, 'Chrome'],
  [/Chromium/, 'Chromium'],
];

function browserOf(userAgent: string, data: UserAgentData | undefined): string {
  const brands = (data?.brands ?? []).map((b) => b.brand).join(',');
  for (const [pattern, name] of BRANDS) if (pattern.test(brands)) return name;
  if (/Firefox|FxiOS/.test(userAgent)) return 'Firefox';
  if (/Edg(e|A|iOS)?\//.test(userAgent)) return 'Edge';
  if (/OPR\//.test(userAgent)) return 'Opera';
  if (/SamsungBrowser/.test(userAgent)) return 'Samsung Internet';
  if (/CriOS|Chrome|Chromium/.test(userAgent)) return 'Chrome';
  if (/Safari/.test(userAgent)) return 'Safari';
  return 'Browser';
}

function systemOf(userAgent: string, data: UserAgentData | undefined): string {
  // An iPad asks for desktop sites and says "Macintosh": only its touch screen tells it apart.
  if (/iPhone/.test(userAgent)) return 'iPhone';
  if (/iPad/.test(userAgent)) return 'iPad';
  const platform = data?.platform ?? '';
  if (platform === 'Chrome OS' || /CrOS/.test(userAgent)) return 'ChromeOS';
  if (platform === 'Android' || /Android/.test(userAgent)) return 'Android';
  if (platform === 'macOS' || /Mac OS X|Macintosh/.test(userAgent)) return 'macOS';
  if (platform === 'Windows' || /Windows/.test(userAgent)) return 'Windows';
  if (platform === 'Linux' || /Linux|X11/.test(userAgent)) return 'Linux';
  return '';
}

/**
 * The name a browser registers its device under, as people recognise it in a device list: *Chrome on
 * Linux*, *Firefox on macOS*, *Safari on iPhone*. `userAgentData`'s brands name Chromium's variants
 * (Edge, Opera, Brave) that the user agent string hides; the user agent string names the rest.
 *
 * @example
 * deviceNameOf(navigator.userAgent, navigator.userAgentData); // 'Firefox on Windows'
 */
export function deviceNameOf(userAgent: string, data?: UserAgentData): string {
  const browser = browserOf(userAgent, data);
  const system = systemOf(userAgent, data);
  return system ? `${browser} on ${system}` : browser;
}

/** This browser's device name (see {@link deviceNameOf}). */
export function thisBrowserName(): string {
  const data = (navigator as Navigator & { userAgentData?: UserAgentData }).userAgentData;
  return deviceNameOf(navigator.userAgent, data);
}
