import { Field, ID, InterfaceType } from 'type-graphql';

/** Anything with a global id, resolvable through `node(id:)` (Relay object identification). */
@InterfaceType({ description: 'An object with a global id, resolvable through `node(id:)`.' })
export abstract class Node {
  @Field(() => ID, { name: 'id', description: 'Global id, e.g. `gid://marketplace/Model/<uuid>`.' })
  globalId!: string;
}
