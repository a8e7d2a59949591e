import { registerEnumType } from 'type-graphql';

/** What an API key may do. A key carries one or more roles, always within its own organisation. */
export enum Role {
  VENDOR = 'VENDOR',
  PARTNER = 'PARTNER',
  FINANCE = 'FINANCE',
  ADMIN = 'ADMIN',
}
registerEnumType(Role, {
  name: 'Role',
  description:
    'VENDOR publishes models and reads their revenue; PARTNER subscribes, infers, fine-tunes; ' +
    'FINANCE reads usage and invoices; ADMIN operates the platform.',
});
