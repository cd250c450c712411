/** One attempt of a probe: passed, or failed with a reason an operator can act on. */
export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export const passed: ProbeResult = { ok: true };
export const failed = (reason: string): ProbeResult => ({ ok: false, reason });
