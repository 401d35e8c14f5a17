import { divination } from './divination/index.ts';
import type { ServiceModule } from './platform/service-module.ts';
import { taskMarket } from './task-market/index.ts';
import { workflowCloud } from './workflow-cloud/index.ts';

/** Every service `npm start` runs under /<service>. Adding one: its folder and a line here. */
export const serviceModules: ServiceModule[] = [taskMarket, workflowCloud, divination];
