/**
 * A lint worker that crashes on purpose, for the pipeline's crash tests: the real worker, except for files whose
 * name asks for a crash. `exit-` files end the worker thread mid-task; `throw-` files throw outside the task's
 * promise (an uncaught exception, as a bug in a native callback or a timer would); `reject-` files fail the task.
 */
import lintTask, { LintAnswer, LintTask } from '../../server/src/cli/worker';

export default async function crashingTask(task: LintTask): Promise<LintAnswer> {
  const name = task.file.split('/').pop() ?? '';
  if (name.startsWith('exit-')) process.exit(3);
  if (name.startsWith('throw-')) {
    setImmediate(() => {
      throw new Error(`uncaught failure while linting ${task.file}`);
    });
    return new Promise<LintAnswer>(() => undefined);
  }
  if (name.startsWith('reject-')) throw new Error(`task failed on ${task.file}`);
  return lintTask(task);
}
