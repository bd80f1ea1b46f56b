// The browser of the visualizer's tests: Debian's Chromium through playwright-core (never a
// downloaded browser), headless, one profile folder per test file, launched alike by every file.
import { type BrowserContext, chromium } from "playwright-core";

/** How long a launch may take on a loaded machine; a test file's beforeAll allows a little more. */
export const CHROMIUM_LAUNCH_MS = 60_000;

export const launchChromium = (profile: string): Promise<BrowserContext> =>
  chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    timeout: CHROMIUM_LAUNCH_MS,
    viewport: { width: 1440, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
