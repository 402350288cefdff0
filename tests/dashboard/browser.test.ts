/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core), over an export made by the
 * real pipeline: the demo estate seeded into moto, runner.ts run in its own process with --export.
 * Screenshots and timings go to test-artifacts/dashboard/.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard, type DashboardServer } from '../../dashboard/serve.ts';
import { writeDemoBill } from '../../scripts/demo_billing.ts';
import { seedDemoEstate } from '../../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../../scripts/moto_server.ts';
import { launchChromium } from '../helpers/browser.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard');

interface Row {
  fingerprint: string;
  check_id: string;
  check_name: string;
  status: string;
  severity_level: string;
  service: string;
  region: string | null;
  resource_id: string | null;
  title: string | null;
  est_monthly_savings: string | null;
  lifecycle_status: string | null;
  tags: Record<string, string> | null;
  actual_cost_30d: string | null;
  actual_savings_30d: string | null;
  actual_period_end: string | null;
}

let moto: MotoServer;
let dir: string;
let exportDir: string;
let server: DashboardServer;
let browser: Browser;
let findings: Row[];
let summary: {
  latest_run_ts: string;
  resources_examined: number;
  totals: {
    est_monthly_savings: string;
    open_failing_findings: number;
    actual_cost_30d: string;
    actual_savings_30d: string;
  };
  cost_coverage: { findings_with_actual_cost: number };
};

/** An independent currency formatter for the assertions (floats are exact enough at these sizes). */
const usd = (decimal: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(Number(decimal));

async function openPage(query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}${query}`);
  await page.waitForSelector('body[data-ready]');
  expect(errors).toEqual([]);
  return page;
}

/** Fingerprints of the rows the table shows, in order. */
const shownRows = (page: Page) =>
  page.$$eval('#findings-body tr[data-fingerprint]', (rows) =>
    rows.map((row) => row.getAttribute('data-fingerprint')),
  );

beforeAll(async () => {
  moto = await startMoto();
  const estate = await seedDemoEstate(moto);
  dir = await mkdtemp(join(tmpdir(), 'dashboard-'));
  exportDir = join(dir, 'webapp_data');
  // The estate's bill, imported first (as npm run demo does): the export shows billed cost.
  const bill = await writeDemoBill(join(dir, 'billing'), estate, estate.runTs);
  await promisify(execFile)(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    [join(ROOT, 'runner.ts'), 'cost', 'import', '--tenant', 'demo', '--source', bill],
    { cwd: dir, env: { ...process.env, ...moto.env } },
  );
  await promisify(execFile)(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    [
      join(ROOT, 'runner.ts'),
      '--tenant',
      'demo',
      '--run-ts',
      estate.runTs.toISOString(),
      '--regions',
      'us-east-1',
      '--export',
      '--export-dir',
      exportDir,
    ],
    { cwd: dir, env: { ...process.env, ...moto.env } },
  );
  findings = JSON.parse(await readFile(join(exportDir, 'findings.json'), 'utf8'));
  summary = JSON.parse(await readFile(join(exportDir, 'summary.json'), 'utf8'));
  server = await serveDashboard({ dir: exportDir });
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the dashboard over the demo export', () => {
  it('was copied next to the JSON by the export', async () => {
    for (const name of ['index.html', 'app.js', 'app.css']) {
      expect((await readFile(join(exportDir, name), 'utf8')).length).toBeGreaterThan(100);
    }
    expect(await readFile(join(exportDir, 'app.js'), 'utf8')).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
  });

  it('shows the headline figures of summary.json', async () => {
    const page = await openPage();
    expect(Number(summary.totals.est_monthly_savings)).toBeGreaterThan(0);
    expect(await page.textContent('#headline-savings')).toBe(usd(summary.totals.est_monthly_savings));
    expect(await page.textContent('#headline-failing')).toBe(String(summary.totals.open_failing_findings));
    expect(await page.textContent('#headline-resources')).toBe(String(summary.resources_examined));
    expect(await page.textContent('#headline-latest-run')).toContain(summary.latest_run_ts.slice(0, 10));
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });
    await page.close();
  });

  it('starts with what needs action (failing, open), every finding one click away', async () => {
    const page = await openPage('?size=250');
    const needing = findings.filter((row) => row.status === 'fail' && row.lifecycle_status === 'open');
    const passing = findings.filter((row) => row.status === 'pass');
    expect(needing.length).toBe(summary.totals.open_failing_findings);
    expect(passing.length).toBeGreaterThan(0);
    expect(needing.length).toBeLessThan(findings.length);
    expect(await shownRows(page)).toEqual(needing.map((row) => row.fingerprint));
    expect(await page.textContent('#findings-count')).toBe(
      `${needing.length} of ${findings.length} findings need action (failing, open)`,
    );
    expect(await page.getAttribute('#view-action', 'aria-pressed')).toBe('true');
    // The view decides status and lifecycle: their filters are not offered in it.
    expect(await page.isVisible('#filter-status')).toBe(false);
    expect(await page.isVisible('#filter-lifecycle')).toBe(false);
    // The severity chart draws what needs action, and counts the passing findings beside it.
    const chart = page.locator(
      'figure.chart:has(figcaption:text-is("Findings that need action, by severity"))',
    );
    expect(await chart.locator('.chart-note').textContent()).toContain(`${passing.length} passing`);
    const severities = new Map<string, number>();
    for (const row of needing)
      severities.set(row.severity_level, (severities.get(row.severity_level) ?? 0) + 1);
    expect(await chart.locator('canvas').getAttribute('aria-label')).toBe(
      `Findings that need action, by severity: ${['critical', 'high', 'medium', 'low', 'info']
        .filter((level) => severities.has(level))
        .map((level) => `${level} ${severities.get(level)}`)
        .join(', ')}`,
    );

    await page.click('#view-all');
    expect(await shownRows(page)).toEqual(findings.map((row) => row.fingerprint));
    expect(await page.textContent('#findings-count')).toBe(`${findings.length} findings`);
    expect(page.url()).toContain('view=all');
    expect(await page.isVisible('#filter-status')).toBe(true);
    await page.click('#view-action');
    expect(page.url()).not.toContain('view=');
    expect(await shownRows(page)).toEqual(needing.map((row) => row.fingerprint));
    await page.close();
  });

  it('filters to exactly the matching rows, downloads them as CSV, and restores the view from its URL', async () => {
    const page = await openPage('?view=all&size=250');
    await page.selectOption('#filter-service', 'AmazonEC2');
    await page.selectOption('#filter-status', 'fail');
    const expected = findings.filter((row) => row.service === 'AmazonEC2' && row.status === 'fail');
    expect(expected.length).toBeGreaterThan(3);
    expect(expected.length).toBeLessThan(findings.length);
    expect(await shownRows(page)).toEqual(expected.map((row) => row.fingerprint));
    expect(await page.textContent('#findings-count')).toBe(
      `${expected.length} of ${findings.length} findings match`,
    );

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const csv: Record<string, string>[] = parse(await readFile((await download.path())!, 'utf8'), {
      columns: true,
    });
    expect(
      csv.map((line) => [line['fingerprint'], line['est_monthly_savings'], line['service'], line['status']]),
    ).toEqual(expected.map((row) => [row.fingerprint, row.est_monthly_savings ?? '', 'AmazonEC2', 'fail']));

    await page.click('button.sort[data-sort="savings"]');
    const url = page.url();
    expect(url).toContain('service=AmazonEC2');
    expect(url).toContain('status=fail');
    expect(url).toContain('sort=savings');
    const sorted = await shownRows(page);
    await page.screenshot({ path: join(ARTIFACTS, 'filtered.png'), fullPage: true });
    await page.close();

    const shared = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await shared.goto(url);
    await shared.waitForSelector('body[data-ready]');
    expect(await shared.inputValue('#filter-service')).toBe('AmazonEC2');
    expect(await shared.inputValue('#filter-status')).toBe('fail');
    expect(await shared.getAttribute('button.sort[data-sort="savings"] >> xpath=..', 'aria-sort')).toBe(
      'descending',
    );
    expect(await shownRows(shared)).toEqual(sorted);
    await shared.close();
  });

  it("says when a link's filter matches nothing in this export, and offers to remove it", async () => {
    const page = await openPage('?check=aws.no.such.check&status=fail');
    const failing = findings.filter((row) => row.status === 'fail');
    expect(failing.length).toBeGreaterThan(0);
    expect(await page.textContent('#findings-count')).toBe(`0 of ${findings.length} findings match`);
    expect(await page.isVisible('#filter-unknown')).toBe(true);
    expect(await page.textContent('#filter-unknown')).toContain(
      'This link’s filter check “aws.no.such.check” matches no finding in this export.',
    );
    await page.click('#clear-unknown');
    expect(await page.isVisible('#filter-unknown')).toBe(false);
    // The other filter stays.
    expect(page.url()).toContain('status=fail');
    expect(page.url()).not.toContain('check=');
    expect(await page.textContent('#findings-count')).toBe(
      `${failing.length} of ${findings.length} findings match`,
    );
    await page.close();
  });

  it('shows a passing finding as no problem: a neutral badge instead of its check’s severity', async () => {
    const page = await openPage('?status=pass&size=250');
    const passing = findings.filter((row) => row.status === 'pass');
    expect(passing.length).toBeGreaterThan(0);
    const badges = await page.$$eval('#findings-body tr[data-fingerprint] td:first-child .badge', (spans) =>
      spans.map((span) => [span.className, span.textContent]),
    );
    expect(badges).toEqual(passing.map(() => ['badge neutral', '—']));
    const failing = await openPage('?status=fail');
    const severity = await failing.$eval(
      '#findings-body tr[data-fingerprint] td:first-child .badge',
      (span) => span.className,
    );
    expect(severity).toMatch(/^badge severity-(critical|high|medium|low|info)$/);
    await failing.close();
    await page.close();
  });

  it('names the checks in the savings chart by their titles, as the tables do', async () => {
    const page = await openPage();
    const described = await page.getAttribute(
      'figure.chart:has(figcaption:text-is("Savings by check")) canvas',
      'aria-label',
    );
    const top = findings.find((row) => row.status === 'fail' && Number(row.est_monthly_savings) > 0)!;
    expect(described).toContain(top.check_name);
    expect(described).not.toContain(top.check_id);
    await page.close();
  });

  it('sorts by savings, largest first, with the keyboard', async () => {
    const page = await openPage('?size=250');
    await page.focus('button.sort[data-sort="savings"]');
    await page.keyboard.press('Enter');
    const bySavings = (fingerprint: string | null) => {
      const value = findings.find((row) => row.fingerprint === fingerprint)?.est_monthly_savings;
      return value === null || value === undefined ? -1 : Number(value);
    };
    const order = (await shownRows(page)).map(bySavings);
    expect(order).toEqual([...order].sort((a, b) => b - a));
    expect(page.url()).toContain('sort=savings&dir=desc');
    await page.close();
  });

  it('searches resource ids, titles and tags', async () => {
    const tagged = findings.find((row) => Object.keys(row.tags ?? {}).length > 0)!;
    const [key, value] = Object.entries(tagged.tags!)[0]!;
    const page = await openPage('?view=all&size=250');
    await page.fill('#filter-q', `${key}=${value}`);
    const needle = `${key}=${value}`.toLowerCase();
    const expected = findings.filter(
      (row) =>
        Object.entries(row.tags ?? {}).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(needle)) ||
        [row.resource_id, row.title].some((text) => text?.toLowerCase().includes(needle)),
    );
    await page.waitForFunction(
      (n) => document.querySelectorAll('#findings-body tr[data-fingerprint]').length === n,
      expected.length,
    );
    expect(await shownRows(page)).toEqual(expected.map((row) => row.fingerprint));
    expect(page.url()).toContain(`q=${encodeURIComponent(`${key}=${value}`)}`);
    await page.close();
  });

  it('shows what the bill says: billed cost in the headline, and in a billed finding’s detail', async () => {
    expect(summary.cost_coverage.findings_with_actual_cost).toBeGreaterThan(0);
    const page = await openPage();
    expect(await page.textContent('#headline-billed')).toBe(usd(summary.totals.actual_cost_30d));
    await page.close();
    // The table's billed column, sorted by it: the most billed finding first, with its 30 days.
    const sorted = await openPage('?view=all&sort=billed&dir=desc');
    const most = [...findings].sort(
      (a, b) => Number(b.actual_cost_30d ?? -1) - Number(a.actual_cost_30d ?? -1),
    )[0]!;
    const first = sorted.locator('#findings-body tr[data-fingerprint]').first();
    expect(Number(most.actual_cost_30d)).toBeGreaterThan(0);
    expect(await first.getAttribute('data-fingerprint')).toBe(most.fingerprint);
    expect(await first.textContent()).toContain(usd(most.actual_cost_30d!));
    await sorted.close();
    const billed = findings.find((f) => f.actual_cost_30d && f.actual_savings_30d)!;
    const detail = await openPage(`?finding=${billed.fingerprint}`);
    const dialog = detail.locator('dialog#detail[open]');
    await dialog.waitFor();
    const text = (await dialog.textContent())!;
    expect(text).toContain('Billed cost');
    expect(text).toContain(usd(billed.actual_cost_30d!));
    expect(text).toContain(`${usd(billed.actual_savings_30d!)} over those 30 days`);
    expect(text).toContain(`${billed.actual_period_end} (the last complete day billed)`);
    expect(text).toContain('amortized');
    await detail.screenshot({ path: join(ARTIFACTS, 'detail-billed.png') });
    await detail.close();
  });

  it("opens one finding's detail, and its URL opens it again", async () => {
    const top = findings[0]!;
    const page = await openPage();
    await page.click(`#findings-body tr[data-fingerprint="${top.fingerprint}"] button.link`);
    const dialog = page.locator('dialog#detail[open]');
    await dialog.waitFor();
    const text = await dialog.textContent();
    const full = JSON.parse(await readFile(join(exportDir, 'findings.json'), 'utf8'))[0];
    expect(text).toContain(full.resource_id);
    expect(text).toContain(full.est_notes);
    expect(text).toContain(usd(full.est_monthly_savings));
    expect(text).toContain(full.account_id);
    expect(page.url()).toContain(`finding=${top.fingerprint}`);
    await page.screenshot({ path: join(ARTIFACTS, 'detail.png') });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !location.search.includes('finding='));
    await page.close();

    const again = await openPage(`?finding=${top.fingerprint}`);
    await again.locator('dialog#detail[open]').waitFor();
    await again.close();

    // A check's remediation worded like the finding's recommendation is not printed a second time.
    const all = JSON.parse(await readFile(join(exportDir, 'findings.json'), 'utf8')) as Record<
      string,
      string
    >[];
    const volume = all.find((f) => f.check_id === 'aws.ec2.ebs.unattached.volume' && f.status === 'fail')!;
    expect(volume.remediation).not.toBe(volume.recommendation);
    const detail = await openPage(`?finding=${volume.fingerprint}`);
    const remediation = await detail.locator('dialog#detail[open]').textContent();
    expect(remediation).toContain(volume.recommendation);
    expect(remediation).not.toContain(volume.remediation);
    await detail.close();
  });
});

describe('the dashboard on a laptop screen and on paper', () => {
  it('fits 1280- and 1400-pixel screens without sideways scrolling, and prints without its controls', async () => {
    for (const width of [1400, 1280]) {
      const wide = await browser.newPage({ viewport: { width, height: 800 } });
      await wide.goto(`${server.url}?view=all`);
      await wide.waitForSelector('body[data-ready="true"]');
      expect(
        await wide.evaluate(() => document.documentElement.scrollWidth),
        `${width} px`,
      ).toBeLessThanOrEqual(width);
      await wide.close();
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(ARTIFACTS, 'laptop.png') });
    expect(await page.isVisible('form.filters')).toBe(true);
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('form.filters')).toBe(false);
    expect(await page.isVisible('nav.pager')).toBe(false);
    expect(await page.isVisible('#headline-savings')).toBe(true);
    expect(await page.isVisible('#findings-table')).toBe(true);
    await page.pdf({ path: join(ARTIFACTS, 'print.pdf'), format: 'A4', landscape: true });
    await page.close();
  });
});

describe('the dashboard on a phone', () => {
  it('fits 400 pixels without sideways scrolling, the headline and the top savings first, a finding’s detail too', async () => {
    const page = await browser.newPage({ viewport: { width: 400, height: 800 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    const overflowing = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((element) => {
          const box = element.getBoundingClientRect();
          // What sits in a scrolling box (a wide table) may be wider than the page; the page itself may not.
          return box.right > 401 && !element.closest('.table-wrap, .scroll-x');
        })
        .map((element) => `${element.tagName.toLowerCase()}#${element.id}.${element.className}`)
        .slice(0, 10),
    );
    expect(overflowing).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
    // What needs action first: the headline, then the top savings, then the runs, the charts and the table.
    const tops = await page.evaluate(() =>
      ['overview', 'top', 'runs', 'charts', 'findings'].map(
        (id) => document.getElementById(id)!.getBoundingClientRect().top,
      ),
    );
    expect(tops).toEqual([...tops].sort((a, b) => a - b));
    await page.screenshot({ path: join(ARTIFACTS, 'phone-top.png') });
    // A finding's detail opens from the top savings and fits too.
    await page.click('#top-savings-table button.link');
    await page.locator('dialog#detail[open]').waitFor();
    const dialog = await page.evaluate(
      () => document.querySelector('dialog#detail')!.getBoundingClientRect().right,
    );
    expect(dialog).toBeLessThanOrEqual(400);
    await page.screenshot({ path: join(ARTIFACTS, 'phone.png'), fullPage: true });
    await page.close();
  });
});

describe('the dashboard with a missing or broken export', () => {
  it('shows an export from before findings_index.json from findings.json alone', async () => {
    const older = await mkdtemp(join(tmpdir(), 'dashboard-older-'));
    await cp(exportDir, older, { recursive: true });
    await rm(join(older, 'findings_index.json'));
    await rm(join(older, 'findings'), { recursive: true });
    const bare = await serveDashboard({ dir: older });
    try {
      const last = findings[findings.length - 1]!;
      const page = await browser.newPage();
      await page.goto(`${bare.url}?view=all&finding=${last.fingerprint}`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.textContent('#findings-count')).toBe(`${findings.length} findings`);
      await page.locator('dialog#detail[open]').waitFor();
      expect(await page.locator('dialog#detail').textContent()).toContain(last.fingerprint);
      await page.close();
    } finally {
      await bare.close();
      await rm(older, { recursive: true, force: true });
    }
  });

  it('says which file is missing instead of a blank page', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'dashboard-empty-'));
    const bare = await serveDashboard({ dir: empty });
    try {
      const page = await browser.newPage();
      await page.goto(bare.url);
      await page.waitForSelector('body[data-ready="error"]');
      expect(await page.textContent('#error')).toContain('findings.json was not found');

      await writeFile(join(empty, 'findings.json'), '[]');
      await writeFile(join(empty, 'summary.json'), '');
      await writeFile(join(empty, 'top_savings.json'), '[]');
      await page.reload();
      await page.waitForSelector('body[data-ready="error"]');
      expect(await page.textContent('#error')).toContain('summary.json is empty');
      await page.close();
    } finally {
      await bare.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
