// The NestJS module both Nest examples serve: a controller with an injected service. Plain JavaScript, no build
// step, so Nest's decorators are applied as the functions they are (what TypeScript's @Decorator syntax compiles
// to), and constructor injection names its token with Inject() (there is no emitted type metadata).
//   GET  /             hello
//   GET  /users/:id    JSON with the id and the worker's pid
//   POST /users        201 with the JSON body
//   GET  /slow?ms=N    answers after N ms
import 'reflect-metadata';
import { Body, Controller, Get, Inject, Injectable, Module, Param, Post, Query } from '@nestjs/common';

/** Applies decorators to a method (and, with `index`, to one of its parameters), as the decorator syntax would. */
function decorate(target, key, ...decorators) {
  Reflect.decorate(decorators, target.prototype, key, Object.getOwnPropertyDescriptor(target.prototype, key));
}
function decorateParam(target, key, index, decorator) {
  decorator(target.prototype, key, index);
}

export class UsersService {
  find(id) {
    return { id, pid: process.pid };
  }
}
Injectable()(UsersService);

export class UsersController {
  constructor(users) {
    this.users = users;
  }
  hello() {
    return 'hello from nest\n';
  }
  findOne(id) {
    return this.users.find(id);
  }
  create(body) {
    return { created: body };
  }
  async slow(ms) {
    const wait = Math.min(60_000, Number(ms ?? 200));
    await new Promise((resolve) => setTimeout(resolve, wait));
    return `slept ${wait}\n`;
  }
}
Controller()(UsersController);
Inject(UsersService)(UsersController, undefined, 0);
decorate(UsersController, 'hello', Get('/'));
decorate(UsersController, 'findOne', Get('users/:id'));
decorateParam(UsersController, 'findOne', 0, Param('id'));
decorate(UsersController, 'create', Post('users'));
decorateParam(UsersController, 'create', 0, Body());
decorate(UsersController, 'slow', Get('slow'));
decorateParam(UsersController, 'slow', 0, Query('ms'));

export class UsersModule {}
Module({ controllers: [UsersController], providers: [UsersService] })(UsersModule);
