// JupyterLab's page load through kfdash next to the same page loaded from Jupyter directly, in
// headless Chromium (tests/bench/notebooks.sh runs it).
//
//   node notebook_load.mjs KFDASH_LAB_URL DIRECT_LAB_URL EMAIL [ROUNDS]
//
// Each round loads the lab page both ways, in alternating order: cold (a fresh browser profile,
// nothing cached) and then warm (the same page again in that profile, its assets from the
// browser's cache or revalidated). A load ends when JupyterLab has drawn its shell (the launcher
// or a notebook panel in the main area: every script ran and the server answered its API calls).
// Every request carries the trusted gateway's kubeflow-userid, as behind Kubeflow's gateway.
// Prints "LOAD <kfdash|direct> <cold|warm> <median ms> <min ms> <max ms> <requests of the last
// load>" per line. Fails when a load does not draw the shell within 60 s or a request fails.

import { chromium, CHROMIUM_ARGS } from '../e2e/lib/harness.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [kfdashUrl, directUrl, email, roundsArg] = process.argv.slice(2);
if (!kfdashUrl || !directUrl || !email) {
  console.error('usage: notebook_load.mjs KFDASH_LAB_URL DIRECT_LAB_URL EMAIL [ROUNDS]');
  process.exit(2);
}
const ROUNDS = Number(roundsArg || 5);
const SHELL = '.jp-LabShell .jp-Launcher, .jp-LabShell .jp-NotebookPanel';

/** One cold load and one warm load of url in a fresh profile: [cold ms, warm ms, requests]. */
async function coldAndWarm(url) {
  const profile = mkdtempSync(join(tmpdir(), 'kfdash-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.KFDASH_E2E_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    extraHTTPHeaders: { 'kubeflow-userid': email },
    viewport: { width: 1280, height: 800 },
    timeout: 30_000,
  });
  try {
    const times = [];
    let requests = 0;
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      const failed = [];
      requests = 0;
      page.on('request', () => requests++);
      page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.url()}: ${r.status()}`);
      });
      const t0 = performance.now();
      await page.goto(url, { waitUntil: 'commit', timeout: 60_000 });
      await page.waitForSelector(SHELL, { timeout: 60_000 });
      times.push(performance.now() - t0);
      // Requests failing because the page is being left are not the server's.
      const real = failed.filter((f) => !f.endsWith('net::ERR_ABORTED'));
      if (real.length) throw new Error(`${url}: ${real.length} requests failed, e.g. ${real[0]}`);
      await page.close();
    }
    return [times[0], times[1], requests];
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

const results = { kfdash: { cold: [], warm: [], requests: 0 }, direct: { cold: [], warm: [], requests: 0 } };
const urls = { kfdash: kfdashUrl, direct: directUrl };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ['direct', 'kfdash'] : ['kfdash', 'direct'];
  for (const side of order) {
    const [cold, warm, requests] = await coldAndWarm(urls[side]);
    results[side].cold.push(cold);
    results[side].warm.push(warm);
    results[side].requests = requests;
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const side of ['kfdash', 'direct']) {
  for (const kind of ['cold', 'warm']) {
    const xs = results[side][kind];
    console.log(
      `LOAD ${side} ${kind} ${median(xs).toFixed(0)} ${Math.min(...xs).toFixed(0)} ` +
        `${Math.max(...xs).toFixed(0)} ${results[side].requests}`,
    );
  }
}
