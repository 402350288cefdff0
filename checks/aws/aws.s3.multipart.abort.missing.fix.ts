import { registerFix } from '../_lib/fixes.ts';
import { abortRuleFix, isAbortRule } from '../_lib/s3_fixes.ts';

export const fix = abortRuleFix('aws.s3.multipart.abort.missing', (rules) =>
  rules.some(isAbortRule) ? 'the bucket has a rule aborting incomplete multipart uploads now' : undefined,
);

registerFix(fix, import.meta.url);
