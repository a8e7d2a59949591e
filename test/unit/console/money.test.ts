import { formatCount, formatMoney, formatUnitPrice, minorDigits, minorToDecimalString, parseMinor } from '../../../console/src/money';

describe('console money formatting: minor units + currency, BigInt arithmetic, never a float', () => {
  it.each([
    ['USD', 2], ['EUR', 2], ['JPY', 0], ['KWD', 3], ['BHD', 3],
  ])('%s has %i minor digits', (currency, digits) => {
    expect(minorDigits(currency)).toBe(digits);
  });

  it.each<[string | bigint, number, string]>([
    ['0', 2, '0.00'], ['5', 2, '0.05'], ['4900', 2, '49.00'], ['-1', 2, '-0.01'], ['-123456', 2, '-1234.56'],
    ['1200', 0, '1200'], ['1005', 3, '1.005'], [9007199254740993n, 2, '90071992547409.93'],
    ['922337203685477580799', 2, '9223372036854775807.99'],
  ])('%s minor units with %i digits is the decimal string %s', (minor, digits, decimal) => {
    expect(minorToDecimalString(minor, digits)).toBe(decimal);
  });

  it.each<[string, string, string]>([
    ['4900', 'USD', '$49.00'], ['0', 'USD', '$0.00'], ['-250', 'USD', '-$2.50'], ['1200', 'JPY', '¥1,200'],
    ['1005', 'KWD', 'KWD 1.005'], ['123456789', 'EUR', '€1,234,567.89'],
    // Past 2^53 a float would round the cents; the string path keeps every digit.
    ['9007199254740993', 'USD', '$90,071,992,547,409.93'],
    ['100000000000000000001', 'USD', '$1,000,000,000,000,000,000.01'],
  ])('%s %s is %s', (minor, currency, text) => {
    expect(formatMoney(minor, currency).replace(/\u00a0/g, ' ')).toBe(text);
  });

  it('refuses an amount that is not an integer string, naming it', () => {
    expect(() => parseMinor('12.5')).toThrow('not an amount in minor units: "12.5"');
    expect(() => formatMoney('1e3', 'USD')).toThrow('"1e3"');
  });

  it('formats unit prices with every digit they have, at least the currency minor digits', () => {
    expect(formatUnitPrice('0.0004', 'USD')).toBe('$0.0004');
    expect(formatUnitPrice('0.002', 'USD')).toBe('$0.002');
    expect(formatUnitPrice('2', 'USD')).toBe('$2.00');
    expect(formatUnitPrice('0.00000000000000000001', 'USD')).toBe('$0.00000000000000000001');
  });

  it('groups counts exactly at any size', () => {
    expect(formatCount('10000000')).toBe('10,000,000');
    expect(formatCount(18446744073709551615n)).toBe('18,446,744,073,709,551,615');
  });
});
