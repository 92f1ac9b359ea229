// A NestJS app on the Fastify adapter, exported as a factory: `createApp()` builds the application and returns it
// without listening (a Nest main file minus its listen() call). w3 calls it once per worker, then `init()`, then
// serves the Fastify instance behind the adapter. Routes: nest/users-module.mjs.
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { UsersModule } from './nest/users-module.mjs';

export async function createApp() {
  return NestFactory.create(UsersModule, new FastifyAdapter(), { logger: false, abortOnError: false });
}
