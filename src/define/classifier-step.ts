import { anySchema } from './builtin-schemas.js';
import { InvalidStepSourceError } from '../errors.js';
import type { AnySchema } from './schema.js';
import type { StepConfig } from './types.js';

/**
 * Classifiers as steps (Mastra 1.71's `createStep(classifier)` and `workflow.classifier()`): the step
 * hands its input to `classifier.evaluate({ state, ... })` as the state to classify and returns
 * `{ answers, usage }`. Recognised by its public interface: an `id`, `questions` and an `evaluate`
 * method (and no `execute`, `stream` or `generate`).
 */

type QuestionsLike = Readonly<Record<string, { readonly type: string }>>;

export interface ClassifierLike<Q extends QuestionsLike | undefined = QuestionsLike | undefined> {
  readonly id: string;
  readonly questions: Q;
  evaluate(options: any): Promise<any>;
}

export type ClassifierAnswer =
  | { type: 'choice'; choice: string; probabilities?: Record<string, number> }
  | { type: 'score'; score: number; probabilities?: Record<string, number> }
  | { type: 'boolean'; probability: number };

export interface ClassifierStepOutput<Q = QuestionsLike> {
  answers: { -readonly [K in keyof Q]: ClassifierAnswer };
  usage: { inputTokens?: number; outputTokens?: number; totalTokens: number };
}

export interface ClassifierStepOptions {
  /** The step id (default: the classifier's id). */
  id?: string;
  /** Passed to `evaluate`: the model call's own retries. */
  maxRetries?: number;
  /** Passed to `evaluate`. */
  providerOptions?: Record<string, Record<string, unknown>>;
  retries?: number;
  timeoutMs?: number;
  metadata?: Record<string, unknown>;
}

export function isClassifierLike(value: unknown): value is ClassifierLike {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.evaluate === 'function' &&
    'questions' in v &&
    typeof v.execute !== 'function' &&
    typeof v.stream !== 'function' &&
    typeof v.generate !== 'function'
  );
}

/** The step config of a classifier step; `id` (the builder's `{ id }`) wins over `options.id`. */
export function classifierStepConfig(classifier: ClassifierLike, options: ClassifierStepOptions = {}, id?: string): StepConfig<string, AnySchema, AnySchema> {
  if (options === null || typeof options !== 'object') throw new InvalidStepSourceError('classifier step options must be an object');
  const stepId = id ?? options.id ?? classifier.id;
  if (!classifier.questions || typeof classifier.questions !== 'object') {
    throw new InvalidStepSourceError(`classifier "${classifier.id}" must be configured with questions to be a step`);
  }
  const { maxRetries, providerOptions } = options;
  return {
    id: stepId,
    inputSchema: anySchema(),
    outputSchema: anySchema(),
    retries: options.retries,
    timeoutMs: options.timeoutMs,
    metadata: options.metadata,
    execute: async ({ inputData, abortSignal }) => {
      const result = await classifier.evaluate({
        state: inputData,
        abortSignal,
        ...(maxRetries !== undefined ? { maxRetries } : {}),
        ...(providerOptions !== undefined ? { providerOptions } : {}),
      });
      return { answers: result?.answers, usage: result?.usage };
    },
  };
}
