/**
 * User-mode memory as kernel code sees it, recognised from syntax: where user addresses enter a function
 * (METHOD_NEITHER buffers, `Irp->UserBuffer`, KMDF unsafe retrieve calls, minifilter port messages, addresses
 * the code itself probes), their local aliases, and every place the function touches the memory behind them.
 *
 * Aliases follow bindings in source order within branches (`AliasTable`), not a full data flow; rules that
 * need ordering or guards combine these sites with the control-flow graph. `writableMemory` adds the system
 * mappings of direct-I/O output buffers, which the caller can still write but which need no probe.
 */
export * from './user-memory/expr';
export * from './user-memory/pointers';
export * from './user-memory/accesses';
export * from './user-memory/seh';
export * from './user-memory/uses';
export * from './user-memory/mapped';
export * from './user-memory/followed';
