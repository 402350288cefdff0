/**
 * Reads AWS Price List Bulk API files for Amazon EC2 (one region's offer file, JSON or CSV, as downloaded from
 * the bulk API's `regionIndex`) into on-demand hourly prices: Linux, shared tenancy, no pre-installed
 * software, capacity status Used, in USD. The CSV form is streamed, so a full regional file (hundreds of MB)
 * needs no more memory than its result.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse';

/** Hourly prices by region, then instance type. */
export type RegionalPrices = Record<string, Record<string, number>>;

interface Product {
  readonly family: string | undefined;
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

/** A compute instance as the engine prices it: the plain Linux, shared-tenancy, on-demand box. */
function isPlainLinux({ family, attributes: a }: Product): boolean {
  return (
    (family ?? '').startsWith('Compute Instance') &&
    a['operatingSystem'] === 'Linux' &&
    a['tenancy'] === 'Shared' &&
    (a['preInstalledSw'] ?? 'NA') === 'NA' &&
    (a['capacitystatus'] ?? 'Used') === 'Used' &&
    (a['licenseModel'] ?? 'No License required') === 'No License required' &&
    Boolean(a['instanceType'] && a['regionCode'])
  );
}

function record(prices: RegionalPrices, product: Product, unit: string, usd: string): void {
  const hourly = Number(usd);
  if (unit !== 'Hrs' || !Number.isFinite(hourly) || hourly <= 0) return;
  const region = (prices[product.attributes['regionCode']!] ??= {});
  region[product.attributes['instanceType']!] = hourly;
}

interface OfferFile {
  products?: Record<string, { productFamily?: string; attributes?: Record<string, string> }>;
  terms?: {
    OnDemand?: Record<
      string,
      Record<string, { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: { USD?: string } }> }>
    >;
  };
}

async function readJson(path: string, prices: RegionalPrices): Promise<void> {
  const offer = JSON.parse(await readFile(path, 'utf8')) as OfferFile;
  if (!offer.products || !offer.terms?.OnDemand) throw new Error(`${path} is not a price list offer file`);
  for (const [sku, p] of Object.entries(offer.products)) {
    const product = { family: p.productFamily, attributes: p.attributes ?? {} };
    if (!isPlainLinux(product)) continue;
    for (const term of Object.values(offer.terms.OnDemand[sku] ?? {})) {
      for (const d of Object.values(term.priceDimensions ?? {})) {
        record(prices, product, d.unit ?? '', d.pricePerUnit?.USD ?? '');
      }
    }
  }
}

/** CSV columns named as the price list names them (after five metadata rows). */
const CSV_ATTRIBUTES: Readonly<Record<string, string>> = {
  'Instance Type': 'instanceType',
  'Operating System': 'operatingSystem',
  Tenancy: 'tenancy',
  'Pre Installed S/W': 'preInstalledSw',
  CapacityStatus: 'capacitystatus',
  'License Model': 'licenseModel',
  'Region Code': 'regionCode',
};

async function readCsv(path: string, prices: RegionalPrices): Promise<void> {
  const rows = createReadStream(path).pipe(
    parse({ from_line: 6, columns: true, relax_column_count: true, record_delimiter: ['\r\n', '\n'] }),
  );
  let seen = 0;
  for await (const row of rows as AsyncIterable<Record<string, string>>) {
    seen += 1;
    if (row['TermType'] !== 'OnDemand' || row['Currency'] !== 'USD') continue;
    const attributes = Object.fromEntries(
      Object.entries(CSV_ATTRIBUTES).map(([column, name]) => [name, row[column]]),
    );
    const product = { family: row['Product Family'], attributes };
    if (isPlainLinux(product)) record(prices, product, row['Unit'] ?? '', row['PricePerUnit'] ?? '');
  }
  if (seen === 0) throw new Error(`${path} holds no price list rows`);
}

/** On-demand Linux hourly prices from price list files, merged region by region. */
export async function readPriceLists(paths: readonly string[]): Promise<RegionalPrices> {
  const prices: RegionalPrices = {};
  for (const path of paths) await (path.endsWith('.csv') ? readCsv(path, prices) : readJson(path, prices));
  return prices;
}
