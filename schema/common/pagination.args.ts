import { Max, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';

/** Forward pagination: `first` 1..100 (default 20) after an opaque cursor. */
@ArgsType()
export class PaginationArgs {
  @Field(() => Int, { defaultValue: 20, description: 'Page size, 1 to 100.' })
  @Min(1, { message: 'first must be at least 1' })
  @Max(100, { message: 'first must be at most 100' })
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge of the previous page.' })
  after?: string | null;
}
