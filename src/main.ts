// npm start: the platform on PORT (default 8080).
import { createPlatformApp } from './platform/app.ts';
import { builtServices } from './platform/documents.ts';

const port = Number(process.env.PORT ?? 8080);
const services = builtServices();
const server = createPlatformApp(services).listen(port, () => {
  process.stdout.write(
    `api-contracts on http://localhost:${port}\n${services
      .map(({ service }) => `  ${service}: http://localhost:${port}/openapi/${service}.yaml\n`)
      .join('')}`,
  );
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
