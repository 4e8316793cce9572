// A vertical list to choose from (ink-select-input) drawn with the theme's styles instead of its built-in blue.
import React from 'react';
import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import { glyphs, theme } from './theme.js';

export interface ChoiceItem<V extends string> {
  label: string;
  value: V;
}

function Indicator({ isSelected = false }: { isSelected?: boolean }) {
  return (
    <Box marginRight={1}>
      <Text {...(isSelected ? theme.focused : {})}>{isSelected ? glyphs.pointer : ' '}</Text>
    </Box>
  );
}

function Item({ isSelected = false, label }: { isSelected?: boolean; label: string }) {
  return <Text {...(isSelected ? theme.focused : {})}>{label}</Text>;
}

export interface ChoiceProps<V extends string> {
  readonly items: readonly ChoiceItem<V>[];
  readonly isFocused: boolean;
  readonly initialIndex?: number;
  /** Rows shown at most; a longer list scrolls. */
  readonly limit?: number;
  onSelect(value: V): void;
}

export function Choice<V extends string>(props: ChoiceProps<V>) {
  return (
    <SelectInput
      items={[...props.items]}
      isFocused={props.isFocused}
      initialIndex={props.initialIndex ?? 0}
      {...(props.limit !== undefined && { limit: props.limit })}
      indicatorComponent={Indicator}
      itemComponent={Item}
      onSelect={(item) => props.onSelect(item.value)}
    />
  );
}
