import { Field, Int, ObjectType } from 'type-graphql';

/** One named tensor of a model's signature, as read from its ONNX file. */
@ObjectType({ description: 'A named input or output tensor of a model.' })
export class TensorSpec {
  @Field()
  name!: string;

  @Field({ description: 'Element type, e.g. float32, int64.' })
  type!: string;

  @Field(() => [Int], { nullable: 'items', description: 'Dimensions; null where the dimension is dynamic.' })
  shape!: (number | null)[];

  @Field(() => [String], { description: 'Dimensions as written in the file, symbolic names included.' })
  dimensions!: string[];
}

/** Inputs and outputs of a model version. */
@ObjectType()
export class ModelSignature {
  @Field(() => [TensorSpec])
  inputs!: TensorSpec[];

  @Field(() => [TensorSpec])
  outputs!: TensorSpec[];
}
