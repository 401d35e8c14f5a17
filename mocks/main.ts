// npm run mock: every generated document mocked on MOCK_PORT (default 4010) under /<service>.
import { builtServices } from '../src/build/services.ts';
import { createMockServer } from './server.ts';

const port = Number(process.env.MOCK_PORT ?? 4010);
const services = builtServices();
const server = await createMockServer(services, process.env.MOCK_LOG_LEVEL);
server.listen(port, () => {
  process.stdout.write(
    `mock on http://localhost:${port}: ${services.map(({ service }) => `/${service}`).join(', ')}\n` +
      '  ask for any documented answer with the header Prefer: example=<CODE>\n',
  );
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
process.once('SIGINT', () => server.close(() => process.exit(0)));
