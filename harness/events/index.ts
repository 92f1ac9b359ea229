// Public API of harness/events: the target-neutral event vocabulary (vocabulary.ts), its typed constructor and
// reader (make.ts) and the README table generated from it (docs.ts).
export * from './vocabulary';
export * from './make';
export { eventsTableMarkdown } from './docs';
