import { createComfyClient } from '../comfyui/client.ts';
import { startComfyStandIn } from '../comfyui/standin.ts';
import { createObjectStore } from '../object-store/client.ts';
import { startObjectStoreStandIn } from '../object-store/standin.ts';
import type { RunningService, ServiceContext, ServiceModule } from '../platform/service-module.ts';
import { createWorkflowCloud, type WorkflowCloud } from './app.ts';
import { type WorkflowCloudConfig, workflowCloudConfig } from './config.ts';
import { demo, seedDemo } from './demo.ts';
import { openWorkflowCloudDatabase } from './migrations.ts';

export interface RunningWorkflowCloud extends WorkflowCloud, RunningService {}

/**
 * workflow-cloud: its database migrated; ComfyUI at COMFYUI_URL, else a local stand-in; the
 * object store at OBJECT_STORE_URL, else a local one (files in the data directory); a demo
 * account on an empty database with the ComfyUI stand-in; and the monitor.
 */
export const workflowCloud: ServiceModule<WorkflowCloudConfig, RunningWorkflowCloud> = {
  name: 'workflow-cloud',
  settings: workflowCloudConfig,
  start: startWorkflowCloud,
  async migrate(config) {
    const db = await openWorkflowCloudDatabase(config.database);
    await db.destroy();
  },
};

async function startWorkflowCloud(
  config: WorkflowCloudConfig,
  context: ServiceContext,
): Promise<RunningWorkflowCloud> {
  const db = await openWorkflowCloudDatabase(config.database);
  const comfyStandIn = config.comfyuiUrl
    ? undefined
    : await startComfyStandIn({ runMs: config.standInRunMs });
  const storeStandIn = config.objectStoreUrl
    ? undefined
    : await startObjectStoreStandIn({ directory: config.standInFilesDirectory });
  const comfyuiUrl = config.comfyuiUrl ?? (comfyStandIn?.url as string);
  const objectStoreUrl = config.objectStoreUrl ?? (storeStandIn?.url as string);

  const cloud = createWorkflowCloud({
    ...context,
    config,
    db,
    comfy: createComfyClient(comfyuiUrl),
    store: createObjectStore(objectStoreUrl),
  });
  // The demo workflows use the stand-in's nodes; a real ComfyUI may lack its checkpoint.
  if (comfyStandIn) {
    await seedDemo(cloud.operators);
  }
  cloud.monitor.start();

  return {
    ...cloud,
    notes: [
      `ComfyUI: ${comfyuiUrl}${comfyStandIn ? ' (local stand-in)' : ''}`,
      `object store: ${objectStoreUrl}${storeStandIn ? ' (local stand-in)' : ''}`,
      '  accounts and keys: npm run workflow-cloud:account -- help',
      ...(comfyStandIn
        ? [
            `demo account: {"apiKey": "${demo.apiKey}"}, workflows ${demo.textToImageId} (text to image) and ${demo.imageWorkflowId} (image copy), AI app ${demo.webappId}`,
          ]
        : []),
    ],
    async close() {
      await cloud.monitor.stop();
      await comfyStandIn?.close();
      await storeStandIn?.close();
      await db.destroy();
    },
  };
}
