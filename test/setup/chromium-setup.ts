/** The browser tests need a browser: find it once, or stop the run with how to get one. */
import { findChromium } from '../helpers/chromium.js';

export default function setup(): void {
  const found = findChromium();
  if (found.path === null) throw new Error(found.problem);
  process.env.CHROMIUM_PATH = found.path;
}
