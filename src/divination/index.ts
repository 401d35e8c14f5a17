import type { RunningService, ServiceContext, ServiceModule } from '../platform/service-module.ts';
import { createDivination, type Divination, divinationSecret } from './app.ts';
import { createAsr } from './asr.ts';
import { startAsrStandIn } from './asr-standin.ts';
import { createAuthProvider } from './auth-provider.ts';
import { startAuthProviderStandIn } from './auth-provider-standin.ts';
import { type DivinationConfig, divinationConfig } from './config.ts';
import { createLlm } from './llm.ts';
import { startLlmStandIn } from './llm-standin.ts';
import { openDivinationDatabase } from './migrations.ts';
import { startLocalStorage } from './storage.ts';

export interface RunningDivination extends Divination, RunningService {}

/**
 * divination: its database migrated; the auth provider at AUTH_PROVIDER_URL, else a stand-in
 * whose codes are printed; the LLM at LLM_BASE_URL and the ASR at ASR_BASE_URL, else stand-ins;
 * attachments and avatars on local disk behind signed URLs.
 */
export const divination: ServiceModule<DivinationConfig, RunningDivination> = {
  name: 'divination',
  settings: divinationConfig,
  start: startDivination,
  async migrate(config) {
    const db = await openDivinationDatabase(config.database);
    await db.destroy();
  },
};

/** Each upstream at its configured URL, else its local stand-in (closed with the service). */
async function upstreams(config: DivinationConfig) {
  const printCode = (phone: string, code: string) =>
    process.stdout.write(
      `divination: one-time code ${code} for ${phone} (auth provider stand-in)\n`,
    );
  const authStandIn = config.authProviderUrl
    ? undefined
    : await startAuthProviderStandIn(printCode);
  const llmStandIn = config.llm.baseUrl ? undefined : await startLlmStandIn();
  const asrStandIn = config.asr.baseUrl ? undefined : await startAsrStandIn();
  return {
    authUrl: config.authProviderUrl ?? (authStandIn?.url as string),
    llmUrl: config.llm.baseUrl ?? (llmStandIn?.url as string),
    asrUrl: config.asr.baseUrl ?? (asrStandIn?.url as string),
    standIns: [authStandIn, llmStandIn, asrStandIn],
  };
}

async function startDivination(
  config: DivinationConfig,
  context: ServiceContext,
): Promise<RunningDivination> {
  const db = await openDivinationDatabase(config.database);
  const secret = await divinationSecret(db, config);
  const { authUrl, llmUrl, asrUrl, standIns } = await upstreams(config);
  const local = await startLocalStorage({
    directory: config.storage.directory,
    secret,
    clock: context.clock,
    publicUrl: config.storage.publicUrl,
  });
  const service = createDivination({
    ...context,
    db,
    config,
    secret,
    provider: createAuthProvider(authUrl, config.authProviderTimeoutMs),
    llm: createLlm({ ...config.llm, baseUrl: llmUrl }),
    asr: createAsr({ ...config.asr, baseUrl: asrUrl }),
    storage: local.storage,
  });
  const standIn = (url: string, configured?: string) =>
    `${url}${configured ? '' : ' (local stand-in)'}`;
  return {
    ...service,
    notes: [
      `auth provider: ${standIn(authUrl, config.authProviderUrl)}${config.authProviderUrl ? '' : ': its one-time codes are printed here'}`,
      `LLM: ${standIn(llmUrl, config.llm.baseUrl)}`,
      `ASR: ${standIn(asrUrl, config.asr.baseUrl)}`,
      `storage: ${local.url}`,
    ],
    async close() {
      await service.close();
      await Promise.all(standIns.map((upstream) => upstream?.close()));
      await local.close();
      await db.destroy();
    },
  };
}
