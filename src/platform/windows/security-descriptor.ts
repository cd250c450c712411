// Reading a Windows security descriptor in its self-relative binary form (what
// GetFileSecurityW / GetNamedSecurityInfoW with OWNER and DACL information give back): the owner
// SID and the DACL's access-allowed and access-denied ACEs. Pure: no Win32 call, so the rules that
// decide whether a manifest is safe (manifest-acl.ts) are unit-tested on crafted descriptors here
// on Linux, and under Wine, which does not model NTFS permissions.
//
// Layout (little-endian): SECURITY_DESCRIPTOR_RELATIVE { u8 Revision; u8 Sbz1; u16 Control;
// u32 OffsetOwner; u32 OffsetGroup; u32 OffsetSacl; u32 OffsetDacl } — offsets from the start, 0
// for absent. ACL { u8 AclRevision; u8 Sbz1; u16 AclSize; u16 AceCount; u16 Sbz2 } then the ACEs,
// each ACE_HEADER { u8 AceType; u8 AceFlags; u16 AceSize } then, for the types read here,
// u32 Mask and the SID. SID { u8 Revision; u8 SubAuthorityCount; u8[6] IdentifierAuthority
// (big-endian); u32[] SubAuthority }.

export const SE_DACL_PRESENT = 0x0004;
export const SE_SELF_RELATIVE = 0x8000;

export const ACCESS_ALLOWED_ACE_TYPE = 0;
export const ACCESS_DENIED_ACE_TYPE = 1;
/** The ACE is only inherited by children, it does not apply to the object itself. */
export const INHERIT_ONLY_ACE = 0x08;

export interface Ace {
  readonly type: 'allow' | 'deny' | 'other';
  readonly flags: number;
  readonly mask: number;
  /** S-1-... ; empty for an ACE type whose layout is not read here. */
  readonly sid: string;
}

export interface SecurityDescriptor {
  readonly owner: string | null;
  /** null: no DACL at all, which grants everyone full access. */
  readonly dacl: readonly Ace[] | null;
}

export class SecurityDescriptorError extends Error {
  constructor(message: string) {
    super(`malformed security descriptor: ${message}`);
    this.name = 'SecurityDescriptorError';
  }
}

export function parseSecurityDescriptor(bytes: Buffer): SecurityDescriptor {
  if (bytes.length < 20) throw new SecurityDescriptorError(`${bytes.length} bytes, the header alone is 20`);
  const control = bytes.readUInt16LE(2);
  if ((control & SE_SELF_RELATIVE) === 0) throw new SecurityDescriptorError('not in self-relative form');
  const ownerAt = bytes.readUInt32LE(4);
  const daclAt = bytes.readUInt32LE(16);
  const owner = ownerAt === 0 ? null : readSid(bytes, ownerAt).sid;
  const dacl = (control & SE_DACL_PRESENT) === 0 || daclAt === 0 ? null : readAcl(bytes, daclAt);
  return { owner, dacl };
}

function readAcl(bytes: Buffer, at: number): Ace[] {
  need(bytes, at, 8, 'ACL header');
  const size = bytes.readUInt16LE(at + 2);
  const count = bytes.readUInt16LE(at + 4);
  need(bytes, at, size, 'ACL');
  const aces: Ace[] = [];
  let offset = at + 8;
  for (let i = 0; i < count; i++) {
    need(bytes, offset, 4, `ACE ${i} header`);
    const kind = bytes.readUInt8(offset);
    const flags = bytes.readUInt8(offset + 1);
    const aceSize = bytes.readUInt16LE(offset + 2);
    if (aceSize < 4 || offset + aceSize > at + size)
      throw new SecurityDescriptorError(`ACE ${i} has size ${aceSize}`);
    if (kind === ACCESS_ALLOWED_ACE_TYPE || kind === ACCESS_DENIED_ACE_TYPE) {
      need(bytes, offset, 8, `ACE ${i}`);
      const mask = bytes.readUInt32LE(offset + 4);
      const { sid, end } = readSid(bytes, offset + 8);
      if (end > offset + aceSize) throw new SecurityDescriptorError(`ACE ${i}'s SID runs past the ACE`);
      aces.push({ type: kind === ACCESS_ALLOWED_ACE_TYPE ? 'allow' : 'deny', flags, mask, sid });
    } else {
      // Object and callback ACEs: not written by file tools on plain files; kept so a caller can
      // refuse what it cannot judge.
      aces.push({ type: 'other', flags, mask: aceSize >= 8 ? bytes.readUInt32LE(offset + 4) : 0, sid: '' });
    }
    offset += aceSize;
  }
  return aces;
}

/** A SID at `at` as S-R-I-S1-S2-..., and where it ends. */
export function readSid(bytes: Buffer, at: number): { sid: string; end: number } {
  need(bytes, at, 8, 'SID header');
  const revision = bytes.readUInt8(at);
  const count = bytes.readUInt8(at + 1);
  if (revision !== 1 || count > 15)
    throw new SecurityDescriptorError(`SID revision ${revision}, ${count} parts`);
  need(bytes, at, 8 + 4 * count, 'SID');
  // 48-bit big-endian authority; shown in decimal below 2^32, as Windows does.
  const authority = bytes.readUIntBE(at + 2, 6);
  const parts = [
    `S-${revision}-${authority < 2 ** 32 ? authority : `0x${authority.toString(16).toUpperCase()}`}`,
  ];
  for (let i = 0; i < count; i++) parts.push(String(bytes.readUInt32LE(at + 8 + 4 * i)));
  return { sid: parts.join('-'), end: at + 8 + 4 * count };
}

function need(bytes: Buffer, at: number, length: number, what: string): void {
  if (at + length > bytes.length) {
    throw new SecurityDescriptorError(
      `${what} at ${at} (${length} bytes) runs past the end (${bytes.length})`,
    );
  }
}

/** Builds a self-relative descriptor (for tests, and for the control pipe's own descriptor). */
export function buildSecurityDescriptor(sd: {
  readonly owner?: string | null;
  readonly dacl?: readonly { type: 'allow' | 'deny'; flags?: number; mask: number; sid: string }[] | null;
}): Buffer {
  const owner = sd.owner == null ? null : sidBytes(sd.owner);
  const aces =
    sd.dacl == null
      ? null
      : sd.dacl.map((ace) => {
          const sid = sidBytes(ace.sid);
          const out = Buffer.alloc(8 + sid.length);
          out.writeUInt8(ace.type === 'allow' ? ACCESS_ALLOWED_ACE_TYPE : ACCESS_DENIED_ACE_TYPE, 0);
          out.writeUInt8(ace.flags ?? 0, 1);
          out.writeUInt16LE(out.length, 2);
          out.writeUInt32LE(ace.mask >>> 0, 4);
          sid.copy(out, 8);
          return out;
        });
  const acl =
    aces === null
      ? null
      : (() => {
          const body = Buffer.concat(aces);
          const head = Buffer.alloc(8);
          head.writeUInt8(2, 0);
          head.writeUInt16LE(8 + body.length, 2);
          head.writeUInt16LE(aces.length, 4);
          return Buffer.concat([head, body]);
        })();
  const header = Buffer.alloc(20);
  header.writeUInt8(1, 0);
  header.writeUInt16LE(SE_SELF_RELATIVE | (acl === null ? 0 : SE_DACL_PRESENT), 2);
  let at = 20;
  if (owner !== null) {
    header.writeUInt32LE(at, 4);
    at += owner.length;
  }
  if (acl !== null) header.writeUInt32LE(at, 16);
  return Buffer.concat([header, ...(owner === null ? [] : [owner]), ...(acl === null ? [] : [acl])]);
}

/** S-1-5-32-544 → its binary form. */
export function sidBytes(sid: string): Buffer {
  const m = /^S-1-(\d+)((?:-\d+)*)$/.exec(sid);
  if (m === null) throw new Error(`not a SID: ${sid}`);
  const subs = (m[2] ?? '')
    .split('-')
    .filter((p) => p !== '')
    .map(Number);
  const out = Buffer.alloc(8 + 4 * subs.length);
  out.writeUInt8(1, 0);
  out.writeUInt8(subs.length, 1);
  out.writeUIntBE(Number(m[1]), 2, 6);
  subs.forEach((sub, i) => out.writeUInt32LE(sub >>> 0, 8 + 4 * i));
  return out;
}
