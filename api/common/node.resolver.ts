import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Node } from '../../schema/common/node.interface';
import { AuthenticatedContext } from '../context';

/** Relay's `node(id:)`. */
@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => Node, { nullable: true, description: 'Any object by global id; null when absent or not visible to the caller.' })
  async node(@Ctx() ctx: AuthenticatedContext, @Arg('id', () => ID) id: string): Promise<object | null> {
    return ctx.services.nodes.find(ctx, id);
  }
}
