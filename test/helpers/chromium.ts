/**
 * Where Chromium or Chrome is, for the browser tests and the screenshot script: CHROMIUM_PATH if
 * set, else the places distributions and installers usually put it. playwright-core drives it;
 * it never downloads a browser of its own.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const USUAL_PLACES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/usr/local/bin/chromium',
  '/opt/google/chrome/chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

export const HOW_TO_GET_CHROMIUM =
  'The browser tests need Chromium or Chrome and found none. Install one ' +
  '(Debian/Ubuntu: `sudo apt-get install chromium`, Fedora: `sudo dnf install chromium`, macOS: `brew install --cask chromium`) ' +
  'or point CHROMIUM_PATH at the browser executable.';

const executable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The browser to launch, or null (with `problem` saying why) when there is none. */
export function findChromium(env: Record<string, string | undefined> = process.env): { path: string } | { path: null; problem: string } {
  if (env.CHROMIUM_PATH) {
    return executable(env.CHROMIUM_PATH) ? { path: env.CHROMIUM_PATH } : { path: null, problem: `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file. ${HOW_TO_GET_CHROMIUM}` };
  }
  for (const place of USUAL_PLACES) if (executable(place)) return { path: place };
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const directory of (env.PATH ?? '').split(path.delimiter)) if (directory && executable(path.join(directory, name))) return { path: path.join(directory, name) };
  }
  return { path: null, problem: HOW_TO_GET_CHROMIUM };
}

/** The launch flags for a headless run on a machine without a display or sandbox, with no background traffic. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
