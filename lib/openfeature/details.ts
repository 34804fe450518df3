import type { Evaluation, EvaluationReason } from '../evaluation.js'

/** The OpenFeature resolution reasons this library answers with. */
export type OpenFeatureReason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT'

const REASONS: Readonly<Record<EvaluationReason, OpenFeatureReason>> = {
  // The stored value, the same for everyone.
  global: 'STATIC',
  // Nothing usable stored: the definition's default.
  default: 'DEFAULT',
  // An override for the object.
  override: 'TARGETING_MATCH',
  // The object's bucket in a rollout, or a sample's draw.
  rollout: 'SPLIT',
  sample: 'SPLIT'
}

export function openFeatureReason (reason: EvaluationReason): OpenFeatureReason {
  return REASONS[reason]
}

/** A boolean answer's variant. */
export function variantOf (value: boolean): 'on' | 'off' {
  return value ? 'on' : 'off'
}

/** What an evaluation says about itself, as OpenFeature flag metadata. */
export function flagMetadata (instance: string, evaluation: Evaluation): Record<string, string | number | boolean> {
  const metadata: Record<string, string | number | boolean> = { kind: evaluation.kind, instance }
  if (evaluation.group !== undefined) metadata.group = evaluation.group
  if (evaluation.percentage !== undefined) metadata.percentage = evaluation.percentage
  if (evaluation.bucket !== undefined) metadata.bucket = evaluation.bucket
  return metadata
}
