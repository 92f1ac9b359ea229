// Loaded with `node --require <repo>/dist/faults/agent/preload.js app.js` into any Node server process (Node
// cluster workers inherit it through execArgv): installs the fault agent at load time — startup fault from
// W3LAB_STARTUP_FAULT, request routing through the agent, X-Worker-Pid on every response, faults over IPC.
// This file only has the side effect; the logic lives in install.ts so it can be imported without one.
import { installFaultAgent } from './install';

installFaultAgent(process.env);
