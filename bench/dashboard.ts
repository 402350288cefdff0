/**
 * `npm run bench -- --dashboard`: one run of N findings through the project's writer and export, then the
 * exported site in headless Chromium (Debian's, as the tests use it): the time until the page is ready, and
 * the time each re-filter takes until the table shows its count (measured in the page, from the control's
 * event to the count's text).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { writeDashboard } from '../dashboard/build.ts';
import { serveDashboard } from '../dashboard/serve.ts';
import { exportTenant } from '../pipeline/export.ts';
import { launchChromium } from '../tests/helpers/browser.ts';
import { writeBenchRun } from './history.ts';
import type { Measurement } from './stages.ts';

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * Sets a control as a user would and returns the milliseconds until the count no longer says what it said.
 * The search box waits 150 ms for typing to pause: for it, the time counts from when that timer fires.
 */
async function refilter(page: Page, control: string, value: string): Promise<{ ms: number; count: string }> {
  return page.evaluate(
    async ({ control, value }) => {
      const count = document.getElementById('findings-count')!;
      const before = count.textContent;
      const element = document.getElementById(control) as HTMLInputElement | HTMLSelectElement;
      const original = window.setTimeout;
      let start = performance.now();
      window.setTimeout = ((handler: () => void, ms?: number) =>
        original(() => {
          if (ms === 150) start = performance.now();
          handler();
        }, ms)) as typeof window.setTimeout;
      try {
        element.value = value;
        element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? 'change' : 'input'));
        while (count.textContent === before) await new Promise((resolve) => original(resolve, 1));
        return { ms: performance.now() - start, count: count.textContent ?? '' };
      } finally {
        window.setTimeout = original;
      }
    },
    { control, value },
  );
}

export async function dashboardBench(findings: number): Promise<Measurement[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-dashboard-'));
  const results: Measurement[] = [];
  try {
    const data = join(dir, 'data');
    await writeBenchRun(data, findings);
    const site = join(dir, 'site');
    let started = performance.now();
    const exported = await exportTenant({
      dataRoot: data,
      tenantId: 'bench',
      outDir: site,
      now: () => new Date('2026-11-23T00:00:00Z'),
    });
    await writeDashboard(site);
    const exportSeconds = (performance.now() - started) / 1000;
    const pages = await readdir(exported.pages);
    results.push({
      measure: 'dashboard_export',
      findings: exported.findings,
      seconds: exportSeconds,
      findings_json_mb: mb((await stat(join(site, 'findings.json'))).size),
      index_mb: mb((await stat(join(site, 'findings_index.json'))).size),
      pages: pages.length,
    });

    const server = await serveDashboard({ dir: site });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      started = performance.now();
      // Every finding (the steps filter on status, which the default view of what needs action decides).
      await page.goto(`${server.url}?view=all`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
      results.push({
        measure: 'dashboard_open',
        findings: exported.findings,
        seconds: (performance.now() - started) / 1000,
        count: await page.textContent('#findings-count'),
      });
      // Let the search text be built (the page does it once it is idle), as a reader would before typing.
      await page.waitForTimeout(2000);
      const steps: [string, string, string][] = [
        ['region', 'filter-region', 'eu-west-1'],
        ['status', 'filter-status', 'fail'],
        ['search_tag', 'filter-q', 'team=payments'],
        ['search_clear', 'filter-q', ''],
        ['check', 'filter-check', 'aws.rds.instances.idle'],
        ['all_filters_clear', 'filter-region', ''],
      ];
      for (const [name, control, value] of steps) {
        const { ms, count } = await refilter(page, control, value);
        results.push({
          measure: `dashboard_refilter_${name}`,
          findings,
          seconds: ms / 1000,
          ms: Math.round(ms),
          count,
        });
      }
      started = performance.now();
      await page.click('button.sort[data-sort="savings"]');
      await page.waitForFunction(() => location.search.includes('sort=savings'));
      results.push({
        measure: 'dashboard_first_sort_savings',
        findings,
        seconds: (performance.now() - started) / 1000,
      });
      const sorted = await refilter(page, 'filter-account', '100000000007');
      results.push({
        measure: 'dashboard_refilter_sorted_account',
        findings,
        seconds: sorted.ms / 1000,
        ms: Math.round(sorted.ms),
        count: sorted.count,
      });
      started = performance.now();
      await page.click('#findings-body tr[data-fingerprint] button.link');
      await page.waitForSelector('dialog#detail[open]');
      results.push({
        measure: 'dashboard_open_detail',
        findings,
        seconds: (performance.now() - started) / 1000,
      });
    } finally {
      await browser.close();
      await server.close();
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
