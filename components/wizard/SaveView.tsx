// Save step's other screens: overwrite question, saving, and the deploy-now-or-later choice. Render only.
import React from 'react';
import { Box, Text } from 'ink';
import { Choice } from '../Choice.js';
import { glyphs, theme } from '../theme.js';
import { kubeupCommand } from '../../src/invocation.js';

export function OverwriteQuestion(props: { readonly name: string; readonly isActive: boolean; onChoose(overwrite: boolean): void }) {
  const items = [
    { label: `Overwrite ${props.name}`, value: 'overwrite' },
    { label: 'Choose another name', value: 'rename' },
  ];
  return (
    <Box flexDirection="column">
      <Text {...theme.warning}>A profile named {props.name} already exists.</Text>
      <Choice items={items} isFocused={props.isActive} onSelect={(value) => props.onChoose(value === 'overwrite')} />
    </Box>
  );
}

export function Saving(props: { readonly name: string }) {
  return <Text>Saving profile {props.name}…</Text>;
}

export function DeployChoice(props: { readonly name: string; readonly location: string; readonly isActive: boolean; onChoose(deployNow: boolean): void }) {
  const items = [
    { label: 'Deploy now', value: 'now' },
    { label: 'Later', value: 'later' },
  ];
  return (
    <Box flexDirection="column">
      <Text {...theme.success}>
        {glyphs.ok} Saved profile {props.name} to {props.location}
      </Text>
      <Text>
        Deploy it now? (later: {kubeupCommand()} up --profile {props.name})
      </Text>
      <Choice items={items} isFocused={props.isActive} onSelect={(value) => props.onChoose(value === 'now')} />
    </Box>
  );
}

export function ConfirmCancel(props: { readonly isActive: boolean; onChoose(discard: boolean): void }) {
  const items = [
    { label: 'Keep editing', value: 'keep' },
    { label: 'Discard what was typed and quit', value: 'discard' },
  ];
  return (
    <Box flexDirection="column">
      <Text {...theme.warning}>Quit the setup? Nothing has been saved.</Text>
      <Choice items={items} isFocused={props.isActive} onSelect={(value) => props.onChoose(value === 'discard')} />
    </Box>
  );
}
