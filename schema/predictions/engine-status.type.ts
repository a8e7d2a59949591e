import { Field, Int, ObjectType } from 'type-graphql';

/** One device of the engine pool, as configured and as it really runs. */
@ObjectType({ description: 'A device of the engine pool: what was requested and what really runs.' })
export class EngineDevice {
  @Field({ description: 'Device id, e.g. "cuda:0" or "cpu".' })
  id!: string;

  @Field({ description: '"cuda" or "cpu".' })
  kind!: string;

  @Field({ description: 'The device as configured in ENGINE_DEVICES.' })
  requested!: string;

  @Field({ description: 'What its sessions run on: "cuda", or "cpu" where the CUDA provider could not load.' })
  executionProvider!: string;

  @Field(() => Int)
  workers!: number;

  @Field(() => Int, { description: 'Requests waiting in its batchers.' })
  queued!: number;

  @Field(() => [String], { description: 'Global ids of the model versions loaded on it.' })
  loadedModels!: string[];
}

/** The engine pool as a whole. */
@ObjectType()
export class EngineStatus {
  @Field(() => [EngineDevice])
  devices!: EngineDevice[];
}
