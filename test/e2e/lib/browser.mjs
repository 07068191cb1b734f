// Debian's chromium driven by playwright-core (no browser download: executablePath is the system one).
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser() {
  // Signals are ours to handle (lib/cleanup.mjs stops the browser with everything else); playwright's
  // own handlers would exit the process before the daemon and code-server are stopped.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}
