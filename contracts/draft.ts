/**
 * What a checker yields: a liberal wire-format draft. The pipeline adds identity, run fields and
 * defaults from the checker's metadata, then validates the whole record.
 */
import type { IssueKey } from './identity.ts';
import type { FindingRecord } from './record.ts';
import type { Status } from './vocabulary.ts';

export type WireMoney = string | number | null | undefined;

export interface DraftScope {
  readonly cloud?: string;
  readonly provider_partition?: string;
  readonly organization_id?: string;
  readonly billing_account_id?: string;
  readonly account_id: string;
  readonly region?: string;
  readonly availability_zone?: string;
  readonly service?: string;
  readonly resource_type?: string;
  readonly resource_id?: string;
  readonly resource_arn?: string;
}

type RecordPart<K extends keyof FindingRecord> = NonNullable<FindingRecord[K]>;

export interface FindingDraft {
  readonly status: Status;
  readonly scope: DraftScope;
  /** What makes this finding distinct for its resource; no timestamps or ages, so ids stay stable. */
  readonly issue_key?: IssueKey;
  readonly title?: string;
  readonly message?: string;
  readonly advice?: string;
  readonly recommendation?: string;
  readonly remediation?: string;
  readonly sub_category?: string;
  readonly severity?: RecordPart<'severity'>;
  readonly priority?: number | string;
  readonly frameworks?: readonly string[];
  readonly links?: readonly { label: string; url: string }[];
  readonly estimated?: RecordPart<'estimated'>;
  readonly actual?: RecordPart<'actual'>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly metrics?: Readonly<Record<string, WireMoney>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Where the finding comes from when it is not the checker's own judgement (an AWS recommendation id). */
  readonly source_ref?: string;
}
