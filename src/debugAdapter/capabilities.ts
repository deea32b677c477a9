/**
 * What the adapter tells a client it can do, in answer to `initialize`: the
 * requests it serves, and the exception filters (the Host's stops, see
 * runtime/trapStops.ts) with what their conditions take.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';

const FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  {
    filter: 'trap', label: 'Traps', default: false, supportsCondition: true,
    description: 'Every delivery of a trap or interrupt vector, '
      + 'whether it exits to the Host or goes straight to the Guest',
    conditionDescription: 'Vectors: numbers and ranges, e.g. 14 or 13,14,0x20-0x2f (empty: every trap)',
  },
  {
    filter: 'hypercall', label: 'Hypercalls', default: false, supportsCondition: true,
    description: 'Every hypercall the Host runs, those from the asynchronous ring included',
    conditionDescription: 'Call numbers or names, e.g. SET_PTE,NEW_PGTABLE or 14 (empty: every call)',
  },
  {
    filter: 'syscall', label: 'System calls', default: false, supportsCondition: true,
    description: "Every system call of the Guest's user programs (its syscall vector)",
    conditionDescription: 'System call numbers in EAX, e.g. 4 or 1-6 (empty: every call)',
  },
  {
    filter: 'guestKilled', label: 'Guest killed', default: true,
    description: 'Just before the Host kills the Guest, with the reason',
  },
];

export const CAPABILITIES: DebugProtocol.Capabilities = {
  supportsConfigurationDoneRequest: true,
  supportsFunctionBreakpoints: true,
  supportsConditionalBreakpoints: true,
  supportsHitConditionalBreakpoints: true,
  supportsLogPoints: true,
  supportsInstructionBreakpoints: true,
  supportsDisassembleRequest: true,
  supportsReadMemoryRequest: true,
  supportsWriteMemoryRequest: true,
  supportsSetVariable: true,
  supportsSteppingGranularity: true,
  supportsExceptionInfoRequest: true,
  supportsExceptionFilterOptions: true,
  supportsEvaluateForHovers: true,
  supportsTerminateRequest: true,
  supportsDataBreakpoints: true,
  supportsValueFormattingOptions: true,
  // A client then asks for the top frame first and the rest a little later (VS Code: 420 ms), and focuses the
  // first frame with a source once the whole stack is in. At a trap stop the top frame is the Host's, which has
  // none: so VS Code picks the Guest's frame from the stack as it finally stands and puts the exception widget
  // there. Without it, VS Code 1.100's Call Stack view could fetch the stack a second time while the first was
  // in flight, the focused frame was then no longer in the stack, and the widget was left out.
  supportsDelayedStackTraceLoading: true,
  exceptionBreakpointFilters: FILTERS,
};
