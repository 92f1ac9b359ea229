// A NestJS app on its default platform (Express), exported the short way: the application itself, created at
// module load (top-level await) and never started. w3 calls `init()` — not `listen()` — and serves the Express
// instance behind it in each worker. Routes: nest/users-module.mjs.
import { NestFactory } from '@nestjs/core';
import { UsersModule } from './nest/users-module.mjs';

// abortOnError: false, so a startup error rejects (and w3 reports it) instead of aborting the process.
const app = await NestFactory.create(UsersModule, { logger: false, abortOnError: false });

export default app;
