import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { Role } from '../../schema/accounts/role.enum';
import { toGlobalId } from '../../schema/common/global-id';
import { EngineStatus } from '../../schema/predictions/engine-status.type';
import { AuthenticatedContext } from '../context';

/** `engineStatus`: the platform operator's view of the engine pool on this replica. */
@Resolver()
export class EngineStatusResolver {
  @Authorized(Role.ADMIN)
  @Query(() => EngineStatus, { description: 'Devices of this replica\'s engine pool (ADMIN).' })
  engineStatus(@Ctx() ctx: AuthenticatedContext): EngineStatus {
    const devices = ctx.services.engine.status().map((device) => ({
      ...device,
      loadedModels: device.loadedModels.map((versionId) => toGlobalId('ModelVersion', versionId)),
    }));
    return { devices };
  }
}
