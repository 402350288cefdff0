/** finops-findings/pack: what packs build with. */
import { describe, expect, it } from 'vitest';
import { definePack, packPricesFor, type PackPrices } from '../pack.ts';

const PRICES: PackPrices = {
  version: '2026-12-01',
  currency: 'USD',
  fallback_region: 'us-east-1',
  regions: { 'us-east-1': { workspace_month: 25 }, 'eu-west-1': { workspace_month: 27.5 } },
};

describe("a pack's price table", () => {
  it("gives a region's own prices, the fallback region's for another, and no price it lacks", () => {
    expect(packPricesFor(PRICES, 'eu-west-1')).toMatchObject({ region: 'eu-west-1', exact: true });
    expect(packPricesFor(PRICES, 'eu-west-1').price('workspace_month')).toBe(27.5);
    const elsewhere = packPricesFor(PRICES, 'ap-south-2');
    expect(elsewhere).toMatchObject({ region: 'us-east-1', exact: false });
    expect(elsewhere.price('workspace_month')).toBe(25);
    expect(elsewhere.price('gpu_hour')).toBeUndefined();
  });

  it('is carried by definePack as given', () => {
    const pack = definePack({
      meta: { name: 'p', version: '1.0.0', engine: '^0.1' },
      checkers: [],
      prices: PRICES,
    });
    expect(pack.prices).toBe(PRICES);
  });
});
