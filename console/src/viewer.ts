import { Role } from './pages';

/** The signed-in key as `viewer` describes it. */
export interface Viewer {
  id: string;
  roles: Role[];
  organization: { id: string; name: string; kind: 'PARTNER' | 'VENDOR' | 'PLATFORM' };
}

export const VIEWER_QUERY = '{ viewer { id roles organization { id name kind } } }';
