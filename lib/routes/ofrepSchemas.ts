import { Type, type Static } from '@sinclair/typebox'

// The OpenFeature Remote Evaluation Protocol's shapes (OFREP 0.3,
// open-feature/protocol service/openapi.yaml), for the routes' validation
// and serialization and for an app's OpenAPI document.

/** Arbitrary metadata: strings, numbers and booleans by name. */
export const OfrepMetadataSchema = Type.Record(Type.String(), Type.Union([Type.Boolean(), Type.String(), Type.Number()]))

/**
 * The evaluation context of a request. The protocol asks for a
 * `targetingKey`; it is optional here since by default the request's own
 * identity decides, not what the body says.
 */
export const OfrepContextSchema = Type.Object({
  targetingKey: Type.Optional(Type.String())
}, { additionalProperties: true, description: 'The evaluation context: targetingKey and other attributes.' })

/** The body of both routes. */
export const OfrepEvaluationRequestSchema = Type.Object({
  context: OfrepContextSchema
}, { additionalProperties: true })

/** The `:key` route parameter. */
export const OfrepKeyParamsSchema = Type.Object({
  key: Type.String({ description: 'The name of a switch, flag or sample.' })
}, { additionalProperties: false })

/** One flag's answer: switches and flags answer a boolean, samples their draw. */
export const OfrepEvaluationSuccessSchema = Type.Object({
  key: Type.String(),
  value: Type.Boolean(),
  reason: Type.Union([Type.Literal('STATIC'), Type.Literal('TARGETING_MATCH'), Type.Literal('SPLIT'), Type.Literal('DISABLED'), Type.Literal('UNKNOWN')]),
  variant: Type.Optional(Type.String()),
  metadata: Type.Optional(OfrepMetadataSchema)
}, { additionalProperties: false })

/** One flag that could not be evaluated (a group function failed, the context is invalid). */
export const OfrepEvaluationFailureSchema = Type.Object({
  key: Type.String(),
  errorCode: Type.Union([Type.Literal('PARSE_ERROR'), Type.Literal('TARGETING_KEY_MISSING'), Type.Literal('INVALID_CONTEXT'), Type.Literal('GENERAL')]),
  errorDetails: Type.Optional(Type.String()),
  metadata: Type.Optional(OfrepMetadataSchema)
}, { additionalProperties: false })

/** `404` of the single evaluation. */
export const OfrepFlagNotFoundSchema = Type.Object({
  key: Type.String(),
  errorCode: Type.Literal('FLAG_NOT_FOUND'),
  errorDetails: Type.Optional(Type.String()),
  metadata: Type.Optional(OfrepMetadataSchema)
}, { additionalProperties: false })

/** `200` of the bulk evaluation: every switch, flag and sample of the instance. */
export const OfrepBulkEvaluationSuccessSchema = Type.Object({
  flags: Type.Array(Type.Union([OfrepEvaluationSuccessSchema, OfrepEvaluationFailureSchema])),
  metadata: Type.Optional(OfrepMetadataSchema)
}, { additionalProperties: false })

/** `400` of the bulk evaluation: the request as a whole failed. */
export const OfrepBulkEvaluationFailureSchema = Type.Object({
  errorCode: Type.String(),
  errorDetails: Type.Optional(Type.String())
}, { additionalProperties: false })

/** Any other error (`401`, `403`, `500`). */
export const OfrepGeneralErrorSchema = Type.Object({
  errorDetails: Type.Optional(Type.String())
}, { additionalProperties: false })

export type OfrepEvaluationRequest = Static<typeof OfrepEvaluationRequestSchema>
export type OfrepEvaluationSuccess = Static<typeof OfrepEvaluationSuccessSchema>
export type OfrepEvaluationFailure = Static<typeof OfrepEvaluationFailureSchema>
export type OfrepFlagNotFound = Static<typeof OfrepFlagNotFoundSchema>
export type OfrepBulkEvaluationSuccess = Static<typeof OfrepBulkEvaluationSuccessSchema>
export type OfrepBulkEvaluationFailure = Static<typeof OfrepBulkEvaluationFailureSchema>
export type OfrepGeneralError = Static<typeof OfrepGeneralErrorSchema>
