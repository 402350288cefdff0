import { registerFix } from '../_lib/fixes.ts';
import { abortRuleFix } from '../_lib/s3_fixes.ts';

// A bucket with no lifecycle configuration gets the one rule that is safe without knowing its data: aborting
// incomplete multipart uploads. Transitions and expirations need a person who knows what the objects are for.
export const fix = abortRuleFix('aws.s3.governance.lifecycle.missing', (rules) =>
  rules.length > 0 ? `the bucket has a lifecycle configuration now (${rules.length} rule(s))` : undefined,
);

registerFix(fix, import.meta.url);
