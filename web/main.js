// Lists the stage's endpoints from its outputs file. The chat UI builds on this page.
const list = document.getElementById('endpoints');
const response = await fetch('/outputs.json');
const outputs = await response.json();
list.replaceChildren();
for (const [stack, values] of Object.entries(outputs)) {
  for (const [name, value] of Object.entries(values)) {
    const term = document.createElement('dt');
    term.textContent = `${name} (${stack})`;
    const detail = document.createElement('dd');
    detail.textContent = value;
    list.append(term, detail);
  }
}
