// The production reader behind checkWindowsManifestAcl: a path's owner and DACL from Windows.
import fs from 'node:fs';
import type { ReadSecurity } from './manifest-acl.js';
import { parseSecurityDescriptor } from './security-descriptor.js';
import { fileSecurity } from './win32.js';

export const readSecurity: ReadSecurity = (target) => {
  const bytes = fileSecurity(target);
  if (bytes === null) return 'missing';
  return { kind: fs.statSync(target).isDirectory() ? 'dir' : 'file', sd: parseSecurityDescriptor(bytes) };
};
