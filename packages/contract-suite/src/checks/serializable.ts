/**
 * The `serializable` check (ADR-0003 §2): every sample input and output of
 * the primary in-process run survives JSON (a hook that returns nothing sends
 * no value and passes); with a `kindSpec`, outputs match
 * the hook's output schema and a chain stage's output fits the next stage's
 * input schema.
 *
 * Owns: the boundary verdicts and their JSON-pointer locations. It reads the
 * primary run only; it writes only to its own recorder and may not run the
 * plugin.
 */

import { SerializationError } from '@dagstack/plugin-api';
import { findJsonIssues } from '../../host/json.mjs';
import type { InProcessRun, Target } from '../context.js';
import { noSamples, sampleLabel } from '../findings.js';
import type { CheckRecorder } from '../report.js';
import { schemaProblems } from '../schemas.js';
import type { ContractSample } from '../types.js';

/** Report every non-JSON value, schema mismatch and chain asymmetry of run `a`. */
export function checkSerializable(
  rec: CheckRecorder | undefined,
  target: Target,
  a: InProcessRun,
): void {
  if (rec === undefined) return;
  if (target.samples.length === 0) {
    rec.skip(noSamples(target, 'nothing crossed a boundary'));
    return;
  }
  if (target.manifest.in_process_only) {
    rec.skip('in_process_only plugin: hook values may be live objects (ADR-0003 §2 exception)');
    return;
  }
  const fail = (i: number, side: 'input' | 'output', pointer: string, text: string) => {
    const sample = target.samples[i] as ContractSample;
    rec.fail(new SerializationError(text, { ...target.where, pointer, hook: sample.hook }), {
      hook: sample.hook,
      sample: i,
      location: `${sampleLabel(i, sample)} ${side} ${pointer || '(root)'}`,
      message: `${side} ${pointer || '(root)'}: ${text}`,
    });
  };
  target.samples.forEach((sample, i) => {
    for (const issue of findJsonIssues(sample.input)) {
      fail(i, 'input', issue.pointer, `${issue.type}: ${issue.problem}`);
    }
    const result = a.results[i];
    if (result === undefined || !result.ok) return;
    // A hook that returns nothing (a broadcast_notify handler, a singleton
    // with no result, a chain stage keeping the value) sends no value: there
    // is nothing to serialise, and over MCP it is an empty result.
    if (result.value === undefined) return;
    const issues = findJsonIssues(result.value);
    for (const issue of issues) fail(i, 'output', issue.pointer, `${issue.type}: ${issue.problem}`);
    if (issues.length > 0) return;
    const hookSpec = target.options.kindSpec?.hooks.find((h) => h.name === sample.hook);
    if (hookSpec === undefined) return;
    if (hookSpec.output_schema !== undefined) {
      for (const p of schemaProblems(hookSpec.output_schema, result.value)) {
        fail(i, 'output', p.pointer, `does not match the hook's output schema: ${p.message}`);
      }
    }
    // A chain stage's output is the next stage's input (ADR-0003 §2, chain symmetry).
    if (hookSpec.dispatch === 'chain' && hookSpec.input_schema !== undefined) {
      for (const p of schemaProblems(hookSpec.input_schema, result.value)) {
        fail(
          i,
          'output',
          p.pointer,
          `chain stage N output is not accepted by stage N+1's input schema: ${p.message}`,
        );
      }
    }
  });
  if (target.options.kindSpec === undefined) {
    rec.note('no kindSpec given: output schemas and chain-stage symmetry not checked');
  }
}
