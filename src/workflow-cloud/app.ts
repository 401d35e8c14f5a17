import type { Express } from 'express';
import type { ComfyClient } from '../comfyui/client.ts';
import type { ObjectStore } from '../object-store/client.ts';
import { createServiceApp } from '../platform/service-app.ts';
import type { ServiceContext } from '../platform/service-module.ts';
import { createAuthentication } from './accounts.ts';
import type { WorkflowCloudConfig } from './config.ts';
import type { Db } from './database.ts';
import { catalog, WorkflowCloudError } from './errors.ts';
import { failureAnswers } from './failures.ts';
import { createHandlers } from './handlers.ts';
import { createMonitor, type Monitor } from './monitor.ts';
import { createOperators, type Operators } from './operators.ts';
import { createTaskRecords } from './records.ts';
import { createTasks } from './tasks.ts';
import { createUploads, uploadTypes } from './uploads.ts';
import { createWorkflows } from './workflows.ts';

export interface WorkflowCloudOptions extends ServiceContext {
  db: Db;
  config: WorkflowCloudConfig;
  comfy: ComfyClient;
  store: ObjectStore;
}

export interface WorkflowCloud {
  app: Express;
  db: Db;
  /** Follows ComfyUI, calls webhooks, purges old tasks; `start` runs it every `monitorMs`. */
  monitor: Monitor;
  operators: Operators;
}

/** workflow-cloud on a migrated database: its app (under /workflow-cloud) and what runs beside it. */
export function createWorkflowCloud(options: WorkflowCloudOptions): WorkflowCloud {
  const { db, config, clock, comfy, store, logger } = options;
  const workflows = createWorkflows(db);
  const records = createTaskRecords(db, clock);
  const app = createServiceApp({
    catalog,
    document: 'generated/workflow-cloud/openapi.yaml',
    handlers: createHandlers({
      authenticate: createAuthentication(db, clock),
      workflows,
      tasks: createTasks({ db, clock, config, comfy, store, workflows, records, logger }),
      upload: createUploads(db, store, clock),
    }),
    security: {},
    failures: failureAnswers,
    uploads: {
      rules: {
        uploadFile: {
          files: { file: {} },
          maxFileBytes: config.maxUploadBytes,
          tooLarge: 'APIKEY_FILE_SIZE_EXCEEDED',
          // Others (an HTML page, say) are refused: the store would serve them on its origin.
          types: Object.keys(uploadTypes),
        },
      },
      refuse: (code) => new WorkflowCloudError(code),
    },
    validateResponses: options.validateResponses,
    lifecycle: options.lifecycle,
    logger,
  });
  const monitor = createMonitor({ db, clock, config, comfy, store, records, logger });
  return { app, db, monitor, operators: createOperators(db, clock) };
}
