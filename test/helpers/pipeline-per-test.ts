/**
 * The lifecycle the pipeline tests share: a test starts its pipeline, worker processes and
 * services of its own through this, and all of them are stopped after the test whatever its
 * outcome: worker processes killed and services stopped first, then the pipeline (its models,
 * its Redis keys).
 */
import { afterEach } from 'vitest';
import type { Countersign } from '../../src/main.js';
import { type Pipeline, type PipelineOptions, startPipeline } from './pipeline.js';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from './worker-process.js';

export interface PipelinePerTest {
  /** This test's pipeline. */
  start(options?: PipelineOptions): Promise<Pipeline>;
  /** A countersign process, killed after the test. */
  startWorker(options: WorkerProcessOptions): Promise<WorkerProcess>;
  /** The processes `startWorker` started in this test, in order. */
  readonly workers: WorkerProcess[];
  /** Stop this service after the test (a failing stop is ignored: a test may have killed it on purpose); returns it. */
  stopAfter(service: Countersign): Countersign;
}

/** Call once at the top of a test file; every test then starts its pipeline with `start`. */
export function pipelinePerTest(): PipelinePerTest {
  let pipeline: Pipeline | undefined;
  const workers: WorkerProcess[] = [];
  const services: Countersign[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.kill()));
    for (const service of services.splice(0)) await service.stop().catch(() => {});
    await pipeline?.stop();
    pipeline = undefined;
  });
  return {
    async start(options) {
      pipeline = await startPipeline(options);
      return pipeline;
    },
    async startWorker(options) {
      const worker = await startWorkerProcess(options);
      workers.push(worker);
      return worker;
    },
    workers,
    stopAfter(service) {
      services.push(service);
      return service;
    },
  };
}
