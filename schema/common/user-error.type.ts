import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** Codes of expected failures, returned in `userErrors` rather than thrown. */
export enum UserErrorCode {
  INVALID = 'INVALID',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  INVALID_MODEL = 'INVALID_MODEL',
  INVALID_STATE = 'INVALID_STATE',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
  FORBIDDEN = 'FORBIDDEN',
}
registerEnumType(UserErrorCode, { name: 'UserErrorCode', description: 'Why a mutation could not do what was asked.' });

/** An expected failure of a mutation: which input field, a stable code, a readable message. */
@ObjectType({ description: 'An expected failure: the input field at fault, a stable code and a message.' })
export class UserError {
  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "slug"].' })
  field?: string[];

  @Field(() => UserErrorCode)
  code!: UserErrorCode;

  @Field()
  message!: string;

  constructor(code: UserErrorCode, message: string, field?: string[]) {
    this.code = code;
    this.message = message;
    this.field = field;
  }
}
