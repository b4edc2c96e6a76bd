/**
 * GitHub's workflow parser (@actions/workflow-parser) as a command: reads `[{ name, content }]` as
 * JSON on stdin and prints, for each, the errors GitHub would report. A separate process because the
 * package imports its schema as bare JSON, which only a bundler or tsx resolves (not Node's own
 * loader, which vitest uses for node_modules).
 *   node --import tsx tests/support/workflow-errors.ts < files.json
 */
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';

export function workflowErrors(name: string, content: string): string[] {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (c: string) => (input += c));
  process.stdin.on('end', () => {
    const files = JSON.parse(input) as { name: string; content: string }[];
    process.stdout.write(JSON.stringify(files.map((f) => workflowErrors(f.name, f.content))));
  });
}
